"""archforge: plan, build, inspect and verify CUDA kernel wheels."""

__version__ = "0.1.0"
