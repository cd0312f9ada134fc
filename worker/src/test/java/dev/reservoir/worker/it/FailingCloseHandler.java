package dev.reservoir.worker.it;

import dev.reservoir.worker.handler.TaskContext;
import dev.reservoir.worker.handler.TaskHandler;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;

/**
 * Test-only: a task blocked in I/O on an interruptible channel whose close fails. Interrupting a thread
 * blocked on such a channel closes the channel on the interrupting thread, so when the task's timeout
 * interrupts it, the worker's housekeeping thread meets the failure: an {@link OutOfMemoryError} for
 * payload {@code error}, an {@link IllegalStateException} for {@code runtime}. The task itself returns only
 * once its channel was closed, so the close surely happens while it is blocked.
 */
public final class FailingCloseHandler implements TaskHandler {
    @Override
    public String name() {
        return "failing-close";
    }

    @Override
    public byte[] handle(TaskContext context) throws Exception {
        boolean error = new String(context.payloadBytes(), StandardCharsets.UTF_8).equals("error");
        BlockingChannel channel = new BlockingChannel(error ? new OutOfMemoryError("thrown by a test channel's close")
                : new IllegalStateException("thrown by a test channel's close"));
        channel.block();
        return new byte[0];
    }

    private static final class BlockingChannel extends AbstractInterruptibleChannel {
        private final CountDownLatch closed = new CountDownLatch(1);
        private final Throwable onClose;

        BlockingChannel(Throwable onClose) {
            this.onClose = onClose;
        }

        /** Blocks as an I/O call does, until the channel is closed (an interrupt closes it). */
        void block() throws Exception {
            begin();
            try {
                while (closed.getCount() > 0) {
                    try {
                        closed.await();
                    } catch (InterruptedException e) {
                        // the close that follows the interrupt ends the wait
                    }
                }
            } finally {
                end(false);
            }
        }

        @Override
        protected void implCloseChannel() {
            closed.countDown();
            if (onClose instanceof Error e) {
                throw e;
            }
            throw (RuntimeException) onClose;
        }
    }
}
