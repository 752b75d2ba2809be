/** Collects what an iterator yields until it has `count`, or it ends. */
export async function take<T>(iterator: AsyncIterator<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < count) {
    const step = await iterator.next();
    if (step.done) break;
    out.push(step.value);
  }
  return out;
}
