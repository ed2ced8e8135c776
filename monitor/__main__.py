"""``python -m monitor`` runs the monitor service: dashboard, ``/api``, ``/metrics``, sampler and probe."""

from monitor.main import main

if __name__ == "__main__":
    main()
