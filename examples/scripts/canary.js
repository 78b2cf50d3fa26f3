// A 10 % canary by consumer: the same consumer always lands on the same
// side (gw.hash is stable), so a user never flips between models.
// Anonymous callers are split by client address instead.
//
//   script examples/scripts/canary.js

function route(req) {
  if (req.model !== "chat") return null;
  const key = req.consumer.name || req.client_ip;
  if (gw.hash(key) % 100 < 10) {
    req.metadata.variant = "canary";
    return "mock/canary-1";
  }
  req.metadata.variant = "stable";
  return "mock/stable-1";
}
