"""The credit file (信用档案) in one home: its assembly from records, the use cases that read it
(with list memberships) and subject search, its response shapes and its routes."""
