# Prometheus for a local firstcome stack: rendered by scripts/stack.sh (PROMETHEUS=on) and by
# tests/e2e/test_prometheus.py, replacing the double-at tokens. One scrape of the web server's
# /metrics (through nginx) sees every process: the web workers' counters, the background
# workers' restarts and the pipeline's gauges.
global:
  scrape_interval: @@INTERVAL@@
  evaluation_interval: @@INTERVAL@@
rule_files:
  - @@RULES@@
scrape_configs:
  - job_name: firstcome
    metrics_path: /metrics
    static_configs:
      - targets: ['@@TARGET@@']
