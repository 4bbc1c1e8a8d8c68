"""AMD evaluation: corpus generator, Asterisk AMD baseline and the benchmark (`python -m bench.amd`)."""
