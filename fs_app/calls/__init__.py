"""Call and operator state machines (transition tables) and the network-result -> system code table."""
