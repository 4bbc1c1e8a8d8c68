"""Operator workplace, supervisor console and dashboards (issue #7): the database side."""
