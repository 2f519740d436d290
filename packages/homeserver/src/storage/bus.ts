import type { Bus } from './types.ts';

/** In-process broadcast. A listener that throws is isolated from the others and from the publisher. */
export class LocalBus<T> implements Bus<T> {
  private listeners = new Set<(value: T) => void>();

  subscribe(listener: (value: T) => void): () => void {
    // Wrap so the same function can subscribe twice and unsubscribe each independently.
    const entry = (v: T) => listener(v);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  publish(value: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch {
        // A broken subscriber must not stop delivery to the others or fail the write.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
