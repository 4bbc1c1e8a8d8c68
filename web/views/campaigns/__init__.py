"""Campaign configuration pages: codes, scripts, operators, directories, templates, strategies."""
