-- lanner.meta.k8s: pod name, namespace, uid and labels from a fake
-- downward-API directory, the POD_* environment variables and the service
-- account's namespace file, in that order.
local k8s = require "lanner.meta.k8s"

local function tmpdir()
	local p = io.popen("mktemp -d /tmp/lanner-k8s.XXXXXX")
	local d = p:read("*l")
	p:close()
	return d
end

local function write(path, text)
	local f = assert(io.open(path, "wb"))
	f:write(text)
	f:close()
end

local function env(t) return function(name) return t[name] end end

describe("Kubernetes pod metadata", function()
	local dir
	before_each(function() dir = tmpdir() end)
	after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

	it("reads the downward API's files: name, namespace, uid and labels", function()
		write(dir .. "/name", "shop-web-7d9f8c6b5-x2k4p\n")
		write(dir .. "/namespace", "payments\n")
		write(dir .. "/uid", "0f1e2d3c-4b5a-4697-8877-665544332211\n")
		write(dir .. "/labels", 'app="shop-web"\npod-template-hash="7d9f8c6b5"\ntier="front end"\n')
		local pod = assert(k8s.read({ podinfo_dir = dir, namespace_file = dir .. "/none", getenv = env {} }))
		assert.equal("shop-web-7d9f8c6b5-x2k4p", pod.name)
		assert.equal("payments", pod.namespace)
		assert.equal("0f1e2d3c-4b5a-4697-8877-665544332211", pod.uid)
		assert.same({ app = "shop-web", ["pod-template-hash"] = "7d9f8c6b5", tier = "front end" }, pod.labels)
	end)

	it("falls back to the POD_* variables, then to the service account's namespace", function()
		write(dir .. "/sa-namespace", "kube-apps")
		local vars = { POD_NAME = "env-pod", POD_UID = "u-1" }
		local pod = assert(k8s.read({ podinfo_dir = dir .. "/absent", namespace_file = dir .. "/sa-namespace",
			getenv = env(vars) }))
		assert.same({ "env-pod", "kube-apps", "u-1" }, { pod.name, pod.namespace, pod.uid })
		assert.same({}, pod.labels)
		vars.POD_NAMESPACE = "from-env"
		pod = k8s.read({ podinfo_dir = dir .. "/absent", namespace_file = dir .. "/sa-namespace", getenv = env(vars) })
		assert.equal("from-env", pod.namespace)
		-- the files win over the variables
		write(dir .. "/name", "file-pod")
		pod = k8s.read({ podinfo_dir = dir, namespace_file = dir .. "/sa-namespace", getenv = env(vars) })
		assert.equal("file-pod", pod.name)
	end)

	it("is nil outside Kubernetes, and empty variables or files count as absent", function()
		write(dir .. "/name", "  \n")
		assert.is_nil(k8s.read({ podinfo_dir = dir, namespace_file = dir .. "/none", getenv = env { POD_NAME = "" } }))
	end)

	it("unquotes label values as the kubelet quotes them (Go's %q)", function()
		local labels = k8s.parse_labels('a="x\\"y"\nb="tab\\there"\nc="\\u00e9t\\xc3\\xa9"\nd=plain\nnot a label\n\n')
		assert.same({ a = 'x"y', b = "tab\there", c = "\195\169t\195\169", d = "plain" }, labels)
	end)
end)
