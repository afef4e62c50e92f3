"""Background jobs: idempotent batch tasks, a process pool on one machine, procrastinate on PostgreSQL."""
