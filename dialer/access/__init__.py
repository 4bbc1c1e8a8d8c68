"""Who may see and do what: the page and object catalog, presets and the policy checks."""
