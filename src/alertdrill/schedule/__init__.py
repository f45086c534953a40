"""Drills on a calendar, surprise drills, and their Kubernetes CronJobs.

Layers, from pure to side effects:
  clock.py      the time source (system, or a manual clock tests drive)
  jobs.py       what runs when: cron schedules from alertdrill.yml and `@cron:` tags; the targets a drill touches
  plan.py       pure bookkeeping: which jobs are due, which may start (never two on one target)
  windows.py    pure: the surprise policy (windows, blackouts, limits) and the seeded random pick
  runner.py     runs one job as `alertdrill run` in a child process (a crash ends the child, not us)
  scheduler.py  `alertdrill schedule`: the long-lived loop over plan + runner
  surprise.py   `alertdrill surprise`: pick, keep it secret (audit log), wait, run it for people
  kubernetes.py `alertdrill schedule --emit kubernetes`: CronJob manifests from the same jobs
"""
