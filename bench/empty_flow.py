"""An empty Prefect flow in the same embedded mode: the fixed cost Prefect itself adds."""

from prefect import flow


@flow(name="empty")
def empty() -> int:
    return 0


if __name__ == "__main__":
    empty()
