"""kefu (客服台): a self-hosted workbench for e-commerce customer-service teams."""

__version__ = "0.1.0"
