"""Campaigns that dial (R4.10, R4.11): lifecycle, the contact selector, result processing."""
