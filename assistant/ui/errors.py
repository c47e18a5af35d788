"""What an unexpected failure in a page callback becomes: a logged traceback and one bilingual line.

Callbacks catch the errors their inputs can cause (a question too long, a topic the collection
lacks) and say so in the user's terms. Anything else is a fault of ours, and must neither pass for
the user's mistake nor vanish: Gradio would show the exception's own text in a toast and keep the
traceback on the terminal only. ``reported`` logs it with its traceback and shows a plain
bilingual line instead; a ``gr.Error`` a callback raises on purpose passes through unchanged.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import gradio as gr

logger = logging.getLogger(__name__)

FAILURE = (
    "Đã xảy ra lỗi không mong đợi; chi tiết đã được ghi vào nhật ký của máy chủ. / "
    "An unexpected error occurred; the details are in the server's log."
)

Callback = TypeVar("Callback", bound=Callable[..., Any])


def reported(callback: Callback) -> Callback:
    """``callback`` with unexpected exceptions logged and shown as ``FAILURE``.

    A generator callback (a streamed answer) stays a generator function, which is how Gradio
    knows to stream it; its signature is kept too, since Gradio finds ``gr.Progress`` there.
    """
    if inspect.isgeneratorfunction(callback):

        @functools.wraps(callback)
        def stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from callback(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as error:
                raise _failure(callback) from error

        return stream  # type: ignore[return-value]

    @functools.wraps(callback)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as error:
            raise _failure(callback) from error

    return call  # type: ignore[return-value]


def _failure(callback: Callable[..., Any]) -> gr.Error:
    """Log the exception being handled, with its traceback, and the error the user sees instead."""
    logger.exception("UI callback %s failed", callback.__qualname__)
    return gr.Error(FAILURE)
