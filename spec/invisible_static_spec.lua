-- Programs that do not go through libc.so: a statically linked C program
-- (spec/progs/inv_files_static) and a Go program (its own runtime, raw
-- syscalls, goroutines on many threads, signals for preemption).  Each must
-- run as without lanner and be traced as fully as a libc program: its
-- openat events with file names, on the threads that made them, and its
-- TCP connection with both ends named.
local trace = require "spec.helpers.trace"
local cmp = require "spec.helpers.compare"

-- the scratch files of cmp.run and cmp.lanner go when the file is done
teardown(cmp.cleanup)

local FMT = "%proc.pid %thread.tid %evt.type %fd.name"
local FILTER = "evt.type in (openat, write, pread64, connect, accept, accept4)"

local function parse(lines)
	local out = {}
	for _, l in ipairs(lines) do
		local pid, tid, ty, name = l:match("^(%d+) (%d+) (%S+) (.*)$")
		if pid then out[#out + 1] = { pid = tonumber(pid), tid = tonumber(tid), type = ty, name = name } end
	end
	return out
end

-- { [name] = { tids } } of the openat events
local function opened(evs)
	local out = {}
	for _, e in ipairs(evs) do
		if e.type == "openat" then
			out[e.name] = out[e.name] or {}
			table.insert(out[e.name], e.tid)
		end
	end
	return out
end

describe("invisible: a statically linked program, against the same program dynamically linked", function()
	local D, dyn_a, dyn_b, st_a, st_b, dyn_evs, st_evs

	setup(function()
		D = trace.mkdtemp()
		local function pair(name)
			local dir = D .. "/" .. name
			os.execute("mkdir -p " .. dir)
			local a = cmp.run({ trace.prog(name), dir })
			local b = cmp.lanner({ "-p", FMT, FILTER }, { trace.prog(name), dir })
			return a, b, parse(b.events)
		end
		dyn_a, dyn_b, dyn_evs = pair("inv_files")
		st_a, st_b, st_evs = pair("inv_files_static")
	end)

	teardown(function()
		if D then trace.rmrf(D) end
		cmp.cleanup()
	end)

	it("the static one is static", function()
		local out = trace.sh("file -L " .. trace.prog("inv_files_static"))
		assert.truthy(out:match("statically linked"), out)
	end)

	it("both run as untraced: same status and output", function()
		assert.equal(0, dyn_a.status)
		assert.equal(0, st_a.status)
		assert.equal(dyn_a.stdout, st_a.stdout)
		assert.equal(st_a.status, st_b.status)
		assert.equal(st_a.stdout, st_b.stdout)
		assert.equal(dyn_a.stdout, dyn_b.stdout)
	end)

	it("the static one's files are opened in events with their names, each by its own thread", function()
		local dir = D .. "/inv_files_static"
		local o = opened(st_evs)
		assert.is_table(o[dir .. "/main.txt"])
		local pid = st_evs[1].pid
		assert.same({ pid }, o[dir .. "/main.txt"])
		local tids = {}
		for i = 0, 3 do
			local t = o[dir .. "/thread-" .. i .. ".txt"]
			assert.is_table(t, "thread-" .. i)
			assert.equal(1, #t)
			assert.is_true(t[1] ~= pid)
			tids[t[1]] = true
		end
		assert.equal(4, #trace.keys(tids))
		assert.is_table(o["/etc/hostname"])
	end)

	it("the same events for the program's own files as the dynamic one (libc's loader aside)", function()
		local function own(evs, dir)
			local out = {}
			for _, e in ipairs(evs) do
				local rel = e.name:sub(1, #dir) == dir and e.name:sub(#dir + 1) or
					(e.name == "/etc/hostname" and e.name)
				if rel then out[#out + 1] = e.type .. " " .. rel end
			end
			table.sort(out)
			return out
		end
		assert.same(own(dyn_evs, D .. "/inv_files"), own(st_evs, D .. "/inv_files_static"))
	end)
end)

-- A Go program: 8 goroutines write and read a file each, then a loopback
-- TCP exchange between two goroutines.  Each goroutine holds a thread of
-- its own (LockOSThread) and waits until all eight are up, so that their
-- files are opened from several threads whatever Go's scheduler would
-- have done (it had put them all on one thread once in many runs).
local GO_SRC = [[
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

func main() {
	dir := os.Args[1]
	var wg, ready sync.WaitGroup
	start := make(chan struct{})
	results := make([]string, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		ready.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.LockOSThread()
			ready.Done()
			<-start
			p := filepath.Join(dir, fmt.Sprintf("go-%d.txt", i))
			if err := os.WriteFile(p, []byte(fmt.Sprintf("goroutine %d", i)), 0644); err != nil {
				results[i] = err.Error()
				return
			}
			b, err := os.ReadFile(p)
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = string(b)
		}(i)
	}
	ready.Wait()
	close(start)
	wg.Wait()
	for i, r := range results {
		fmt.Printf("%d: %s\n", i, r)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		fmt.Fprintf(c, "HTTP/1.0 200 OK\r\n\r\nyou asked: %s", buf[:n])
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	fmt.Fprintf(c, "GET /lanner")
	body, _ := io.ReadAll(c)
	fmt.Printf("reply: %q\n", body)
	fmt.Printf("server %s\n", ln.Addr().String())
}
]]

local _, go_rc = trace.sh("command -v go >/dev/null 2>&1")
local have_go = go_rc == 0

describe("invisible: a Go program", function()
	local D, bin, built, a, b, evs

	setup(function()
		if not have_go then return end
		D = trace.mkdtemp()
		-- the build cache lives in build/ so that later runs are quick
		local gdir = trace.root .. "/build/inv_go"
		os.execute("mkdir -p " .. gdir)
		local f = assert(io.open(gdir .. "/main.go", "w"))
		f:write(GO_SRC)
		f:close()
		bin = gdir .. "/inv_go"
		local out, rc = trace.sh("cd " .. gdir .. " && GOCACHE=" .. gdir .. "/cache GOPATH=" .. gdir ..
			"/gopath GO111MODULE=off CGO_ENABLED=0 GOFLAGS= go build -o inv_go main.go 2>&1")
		built = rc == 0 or out
		if rc ~= 0 then return end
		a = cmp.run({ bin, D }, { timeout = 30 })
		b = cmp.lanner({ "-p", FMT, "evt.type in (openat, connect, accept, accept4, write, read)" }, { bin, D },
			{ timeout = 30 })
		evs = parse(b.events)
	end)

	teardown(function()
		if D then trace.rmrf(D) end
		cmp.cleanup()
	end)

	if not have_go then
		pending("no go toolchain here (apt-get install golang-go)")
		return
	end

	it("builds (static, no cgo)", function()
		assert.equal(true, built)
	end)

	it("runs as untraced: same status and output", function()
		assert.equal(0, a.status)
		assert.truthy(a.stdout:match('reply: "HTTP/1.0 200 OK\\r\\n\\r\\nyou asked: GET /lanner"'), a.stdout)
		assert.is_false(b.timed_out)
		assert.equal(a.status, b.status)
		-- the port differs from run to run
		assert.equal((a.stdout:gsub("server [%d.:]+", "")), (b.stdout:gsub("server [%d.:]+", "")))
	end)

	it("each goroutine's file appears in openat events with its name", function()
		local o = opened(evs)
		for i = 0, 7 do
			assert.is_table(o[D .. "/go-" .. i .. ".txt"], "go-" .. i .. ".txt")
		end
	end)

	it("on more than one thread of the one process", function()
		local tids, pids = {}, {}
		for _, e in ipairs(evs) do
			if e.type == "openat" and e.name:match("/go%-%d%.txt$") then
				tids[e.tid] = true
				pids[e.pid] = true
			end
		end
		assert.equal(1, #trace.keys(pids))
		assert.is_true(#trace.keys(tids) >= 2, "all on one thread")
	end)

	it("the accepted end of the TCP connection is named by its tuple", function()
		local port = b.stdout:match("server 127%.0%.0%.1:(%d+)")
		assert.is_string(port)
		local acc = cmp.count(evs, function(e)
			return (e.type == "accept4" or e.type == "accept") and e.name:match("^127%.0%.0%.1:%d+%->127%.0%.0%.1:" .. port .. "$")
		end)
		assert.equal(1, acc)
	end)

	-- Go's connect is non-blocking: it returns EINPROGRESS.  The core names
	-- the fd with both ends then, and fd.name must not take that result for
	-- a failed connect (which shows the target address alone): Falco shows
	-- the tuple for a connect in progress.
	it("the connecting end is named by its tuple too (a non-blocking connect, EINPROGRESS)", function()
		local port = b.stdout:match("server 127%.0%.0%.1:(%d+)")
		assert.is_string(port)
		local names = {}
		for _, e in ipairs(evs) do
			if e.type == "connect" then names[#names + 1] = e.name end
		end
		assert.equal(1, #names)
		assert.truthy(names[1]:match("^127%.0%.0%.1:%d+%->127%.0%.0%.1:" .. port .. "$"), names[1])
	end)
end)
