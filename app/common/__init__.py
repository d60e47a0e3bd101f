"""What the rules (app/services) and the engine adapter (app/workflow) both need, below
both of them so that neither imports the other for it: the errors they raise and the
marker of translatable messages. Standard library only."""
