"""SQL store of qinglang."""
