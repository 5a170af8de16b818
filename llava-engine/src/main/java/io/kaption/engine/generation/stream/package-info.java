/**
 * Incremental detokenization for per-token streaming.
 *
 * <pre>{@code
 * Detokenizer detokenizer = Detokenizer.load(modelDir.resolve("tokenizer.json")); // once, thread-safe
 * DetokenizerStream stream = detokenizer.newStream();                            // one per sequence
 * for (long id : generated) publish(stream.accept(id));  // "" while a multi-byte character is incomplete
 * publish(stream.finish());                              // after EOS / max tokens
 * }</pre>
 * The concatenation of all chunks equals {@code tokenizer.decode(ids, skip_special_tokens=True)}; special tokens
 * (including EOS) and ids past the tokenizer's vocabulary produce no text.
 */
package io.kaption.engine.generation.stream;
