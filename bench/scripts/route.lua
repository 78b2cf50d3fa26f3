-- The benchmark's route hook (Lua): a typical small router that reads the
-- model name and the prompt's size and picks a target. The paced model goes
-- to the paced fake; everything else to the fast one.
function route(req)
  if req.model == "paced" then return "paced/bench" end
  if req.estimated_input_tokens > 100000 then return { "up/bench-long", "up/bench" } end
  return "up/bench"
end
