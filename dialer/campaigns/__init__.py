"""Campaign configuration (R2.1-R2.4, R4.1-R4.9) and the pure rules the dialer applies (R5.8)."""
