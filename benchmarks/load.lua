-- wrk script for benchmarks/bench_load.py: nine requests in ten are queries of the
-- foundation set, one in ten writes (a run triggered, or a run this thread triggered
-- moved on: queued -> running -> completed). Arguments: API key, comma-separated
-- workflow names, the start of the 7-day window (RFC 3339), comma-separated error codes.

local key, workflows, week, codes
local mine = {}  -- runs this thread triggered: {id, status}

local function split(text)
  local items = {}
  for item in string.gmatch(text, "[^,]+") do items[#items + 1] = item end
  return items
end

local thread_no = 0
function setup(thread)
  thread_no = thread_no + 1
  thread:set("seed", thread_no)
end

function init(args)
  key, workflows, week, codes = args[1], split(args[2]), args[3], split(args[4])
  math.randomseed(os.time() * 1000 + seed)
  wrk.headers["Authorization"] = "Bearer " .. key
end

local function pick(items) return items[math.random(#items)] end

local function read()
  local choice = math.random(6)
  local two = "status=failed&status=canceled&created_after=" .. week
  if choice == 1 then return "/api/v1/runs?limit=50" end
  if choice == 2 then return "/api/v1/runs?workflow_id=" .. pick(workflows) end
  if choice == 3 then return "/api/v1/runs?" .. two end
  if choice == 4 then
    return string.format("/api/v1/runs?search=CUST-%06d", math.random(0, 99999))
  end
  if choice == 5 then return "/api/v1/runs?error_code=" .. pick(codes) end
  return "/api/v1/runs/count?" .. two
end

function request()
  if math.random() < 0.9 then
    return wrk.format("GET", read())
  end
  -- Headers given here replace wrk.headers: the key goes along again.
  local json = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
  if #mine > 0 and math.random() < 0.5 then
    -- Taken out while in flight, so no other request moves the same run.
    local run = table.remove(mine, math.random(#mine))
    local next_status = run.status == "queued" and "running" or "completed"
    return wrk.format("PATCH", "/api/v1/runs/" .. run.id, json,
                      '{"status":"' .. next_status .. '"}')
  end
  return wrk.format("POST", "/api/v1/workflows/" .. pick(workflows) .. "/runs", json, "{}")
end

function response(status, headers, body)
  -- A run's own JSON (a trigger's 201, a status update's 200) starts with its id;
  -- lists start with "items" and counts with "count".
  if (status == 201 or status == 200) and string.sub(body, 1, 7) == '{"id":"' then
    local id = string.match(body, '^{"id":"([^"]+)"')
    local run_status = string.match(body, '"status":"(%a+)"')
    if id and (run_status == "queued" or run_status == "running") then
      mine[#mine + 1] = {id = id, status = run_status}
    end
  end
end
