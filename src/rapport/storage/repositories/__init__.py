"""Repositories: the only code that issues SQL for the services layer."""
