"""A few ways to compute Fibonacci numbers."""

from functools import lru_cache


def fibonacci_iterative(n: int) -> int:
    """Return the n-th Fibonacci number, counting from fibonacci(0) == 0."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@lru_cache(maxsize=None)
def fibonacci_recursive(n: int) -> int:
    """The textbook definition; the cache turns it from exponential into linear time."""
    if n < 2:
        return n
    return fibonacci_recursive(n - 1) + fibonacci_recursive(n - 2)


def fibonacci_sequence(count: int) -> list[int]:
    """The first `count` Fibonacci numbers."""
    sequence = []
    a, b = 0, 1
    for _ in range(count):
        sequence.append(a)
        a, b = b, a + b
    return sequence


if __name__ == "__main__":
    print(fibonacci_sequence(10))
    print(fibonacci_iterative(50), fibonacci_recursive(50))
