-- A 10 % canary by consumer: the same consumer always lands on the same
-- side (gw.hash is stable), so a user never flips between models.
-- Anonymous callers are split by client address instead.
--
--   script examples/scripts/canary.lua

function route(req)
  if req.model ~= "chat" then return nil end
  local key = req.consumer.name
  if key == nil or key == "" then key = req.client_ip end
  if gw.hash(key) % 100 < 10 then
    req.metadata.variant = "canary"
    return "mock/canary-1"
  end
  req.metadata.variant = "stable"
  return "mock/stable-1"
end
