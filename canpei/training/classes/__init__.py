"""Training classes: the class record and its workflow, the roster and register, inspections,
and the class ledgers (export) and roster/certificate sheets (import)."""
