"""A handover's page, for a provider without Slack: ``GET /p/<token>`` shows it and
``POST /p/<token>`` acts on it (server-rendered HTML, no JavaScript). What it may do is
``bot.byemail.pages``'; here are its HTML (``html``), its forms' CSRF tokens (``csrf``) and
its routes (``routes``)."""
