"""vision-report: progress reports for the 熊本連携中枢都市圏ビジョン."""

__version__ = "0.1.0"
