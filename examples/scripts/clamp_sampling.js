// Clamp sampling per caller: at most 512 output tokens and a temperature of
// at most 1.0, unless the caller is on the "research" tier (x-tier header,
// or consumer metadata once consumers exist), which may ask for 4096.
//
//   script examples/scripts/clamp_sampling.js

function on_request(req) {
  const tier = (req.consumer.metadata && req.consumer.metadata.tier) || req.headers["x-tier"];
  const max = tier === "research" ? 4096 : 512;
  if (req.max_tokens == null || req.max_tokens > max) req.max_tokens = max;
  if (req.temperature != null && req.temperature > 1.0) req.temperature = 1.0;
  if (req.top_p != null && req.top_p > 0.95) req.top_p = 0.95;
}
