"""Functions BPMN service tasks call by name, and lane resolvers (issue 3 onwards)."""
