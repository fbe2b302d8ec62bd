/** `fn`, run at most once however often the result is called (a release that two paths may both reach). */
export function once(fn: () => void): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    fn()
  }
}
