"""Management pages of the agent workspace: one module per area, each view thin
(form -> service -> redirect with a flash message)."""
