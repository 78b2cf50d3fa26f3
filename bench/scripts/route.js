// The benchmark's route hook (JavaScript): the same router as route.lua.
function route(req) {
  if (req.model === "paced") return "paced/bench";
  if (req.estimated_input_tokens > 100000) return ["up/bench-long", "up/bench"];
  return "up/bench";
}
