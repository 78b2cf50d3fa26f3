-- Clamp sampling per caller: at most 512 output tokens and a temperature of
-- at most 1.0, unless the caller is on the "research" tier (x-tier header,
-- or consumer metadata once consumers exist), which may ask for 4096.
--
--   script examples/scripts/clamp_sampling.lua

function on_request(req)
  local tier = (req.consumer.metadata and req.consumer.metadata.tier) or req.headers["x-tier"]
  local max = 512
  if tier == "research" then max = 4096 end
  if req.max_tokens == nil or req.max_tokens > max then req.max_tokens = max end
  if req.temperature ~= nil and req.temperature > 1.0 then req.temperature = 1.0 end
  if req.top_p ~= nil and req.top_p > 0.95 then req.top_p = 0.95 end
end
