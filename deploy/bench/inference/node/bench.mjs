// Row (p): onnxruntime-node 1.30 on the same int8 all-MiniLM-L6-v2 file, tokenizer and sentences as row (a), with
// the same session settings (2 intra-op threads, sequential, all optimisations, no spinning), batches of 32 sorted by
// length, mean pooling and normalisation as the service does, the CPU arena as CPU_ARENA says. Prints the line format of InferenceBench.java.
//   node bench.mjs SENTENCES MODEL.onnx TOKENIZER.json SECONDS
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import ort from "onnxruntime-node";
import { Tokenizer } from "@huggingface/tokenizers";

const [sentencesFile, modelFile, tokenizerFile, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);
const tokenizer = new Tokenizer(JSON.parse(readFileSync(tokenizerFile, "utf8")), {});
const sentences = readFileSync(sentencesFile, "utf8").split("\n").filter((s) => s.length > 0);
const tokens = sentences.map((s) => tokenizer.encode(s).ids).sort((a, b) => a.length - b.length);

const session = await ort.InferenceSession.create(modelFile, {
  intraOpNumThreads: availableParallelism(), interOpNumThreads: 1, executionMode: "sequential",
  graphOptimizationLevel: "all", extra: { session: { intra_op: { allow_spinning: "0" } } },
  // CPU_ARENA as the service's meridian.inference.batching.cpu-arena (off by default)
  enableCpuMemArena: process.env.CPU_ARENA === "true", enableMemPattern: process.env.CPU_ARENA === "true",
});
const wantsTokenTypes = session.inputNames.includes("token_type_ids");
const dimensions = 384;

async function embed(batch) {
  const rows = batch.length;
  const seqLen = Math.max(...batch.map((t) => t.length));
  const ids = new BigInt64Array(rows * seqLen);
  const mask = new BigInt64Array(rows * seqLen);
  batch.forEach((row, r) => row.forEach((id, i) => { ids[r * seqLen + i] = BigInt(id); mask[r * seqLen + i] = 1n; }));
  const feeds = {
    input_ids: new ort.Tensor("int64", ids, [rows, seqLen]),
    attention_mask: new ort.Tensor("int64", mask, [rows, seqLen]),
  };
  if (wantsTokenTypes) feeds.token_type_ids = new ort.Tensor("int64", new BigInt64Array(rows * seqLen), [rows, seqLen]);
  const hidden = (await session.run(feeds))[session.outputNames[0]].data;
  const vectors = [];
  for (let r = 0; r < rows; r++) {
    const v = new Float32Array(dimensions);
    let count = 0;
    for (let t = 0; t < seqLen; t++) {
      if (mask[r * seqLen + t] === 0n) continue;
      count++;
      const base = (r * seqLen + t) * dimensions;
      for (let d = 0; d < dimensions; d++) v[d] += hidden[base + d];
    }
    let norm = 0;
    for (let d = 0; d < dimensions; d++) { v[d] /= count; norm += v[d] * v[d]; }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dimensions; d++) v[d] /= norm;
    vectors.push(v);
  }
  return vectors;
}

async function call(offset) {
  const to = Math.min(offset + 32, tokens.length);
  await embed(tokens.slice(offset, to));
  return to - offset;
}

let offset = 0;
const warmUntil = performance.now() + 3000;
while (performance.now() < warmUntil) offset = (offset + (await call(offset))) % tokens.length;
const latencies = [];
let items = 0;
const start = performance.now();
while (performance.now() < start + seconds * 1000) {
  const t0 = performance.now();
  const n = await call(offset);
  latencies.push(performance.now() - t0);
  items += n;
  offset = (offset + n) % tokens.length;
}
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const name = "p onnxruntime-node 1.30 (batch 32, sorted)";
console.log(`${name.padEnd(40)} ${(items / elapsed).toFixed(1).padStart(8)} embeddings/s  p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(1).padStart(6)} ms  p99 ${latencies[Math.floor(latencies.length * 0.99)].toFixed(1).padStart(6)} ms  (per call of 32)`);
