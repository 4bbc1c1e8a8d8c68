"""Portal pages of running campaigns: campaigns, their lifecycle and status, callbacks."""
