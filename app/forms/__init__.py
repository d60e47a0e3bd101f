"""WTForms classes: one per page form and per user-task form key; the API validates with the same classes."""
