// arrival: the capacity search's load generator, Go standard library only.
//
// Open model (-mode open): requests are due at fixed intervals (-rate per second) whatever the
// server does; a request's latency is taken from the time it was DUE, not from when a
// connection got free to send it, so queueing in front of a slow server is counted
// (coordinated omission, as wrk2 and k6's arrival-rate executors avoid it). -conns connections
// carry the load; a due request waits in the schedule for a free one and that wait is part
// of its latency.
// Closed model (-mode closed): -users users, each with its own connection, send one request,
// wait for the answer, then think for an exponentially distributed time of mean -think;
// latency runs from the send to the end of the answer.
//
// Requests are drawn from -mix (route=weight): ping (GET /ping), read (GET /files/ of a seeded
// file SEED/r-<i>.bin), upload (PUT /files/UPLOAD/<n>.bin of -upload-kb), batch
// (POST /batch-download of 5 seeded files). The first -warmup seconds are sent but not
// counted. One JSON document on stdout: counts, status codes, latency percentiles (ms),
// per route and overall; error_kinds (what non-2xx answers said, "status body-start" with
// counts); open model: send_lag_ms, due time to send (a free connection's wait, and at low
// load the generator's own delay). FSVC_API_KEY, when set, is sent as a Bearer token.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type route struct {
	name   string
	weight int
}

type sample struct {
	route   int
	status  int // 0: transport error or timeout
	latency time.Duration
	lag     time.Duration // open model: from the due time to the send (the generator's delay)
}

type config struct {
	base, mode, seed, upload string
	rate                     float64
	users, conns, seedCount  int
	think, duration, warmup  time.Duration
	timeout                  time.Duration
	uploadBody, batchBody    []byte
	routes                   []route
	key                      string
}

func parseMix(s string) ([]route, error) {
	var rs []route
	for _, part := range strings.Split(s, ",") {
		kv := strings.SplitN(strings.TrimSpace(part), "=", 2)
		if len(kv) != 2 {
			return nil, fmt.Errorf("mix entry %q is not route=weight", part)
		}
		w, err := strconv.Atoi(kv[1])
		if err != nil || w < 0 {
			return nil, fmt.Errorf("mix weight %q is not a whole number >= 0", kv[1])
		}
		switch kv[0] {
		case "ping", "read", "upload", "batch":
		default:
			return nil, fmt.Errorf("mix route %q is not ping, read, upload or batch", kv[0])
		}
		if w > 0 {
			rs = append(rs, route{kv[0], w})
		}
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("mix %q has no route with a weight", s)
	}
	return rs, nil
}

func pick(rs []route, r *rand.Rand) int {
	total := 0
	for _, x := range rs {
		total += x.weight
	}
	n := r.Intn(total)
	for i, x := range rs {
		if n < x.weight {
			return i
		}
		n -= x.weight
	}
	return len(rs) - 1
}

var uploads int64

func (c *config) request(ri int, r *rand.Rand) (*http.Request, error) {
	var req *http.Request
	var err error
	switch c.routes[ri].name {
	case "ping":
		req, err = http.NewRequest("GET", c.base+"/ping", nil)
	case "read":
		req, err = http.NewRequest("GET", fmt.Sprintf("%s/files/%s/r-%d.bin", c.base, c.seed,
			r.Intn(c.seedCount)), nil)
	case "upload":
		n := atomic.AddInt64(&uploads, 1)
		req, err = http.NewRequest("PUT", fmt.Sprintf("%s/files/%s/u-%d.bin", c.base, c.upload, n),
			bytes.NewReader(c.uploadBody))
		if err == nil {
			req.Header.Set("Content-Type", "application/octet-stream")
		}
	case "batch":
		req, err = http.NewRequest("POST", c.base+"/batch-download", bytes.NewReader(c.batchBody))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err == nil && c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	return req, err
}

// Up to maxErrorKinds distinct "status body-start" answers that were not 2xx, with counts:
// what a 503 or 500 said, beside the verdict.
const maxErrorKinds = 20

var errorKinds = struct {
	sync.Mutex
	m map[string]int
}{m: map[string]int{}}

func noteError(kind string) {
	errorKinds.Lock()
	defer errorKinds.Unlock()
	if _, ok := errorKinds.m[kind]; ok || len(errorKinds.m) < maxErrorKinds {
		errorKinds.m[kind]++
	}
}

// do sends one request and reads the whole answer; the status, or 0 for a transport error.
func do(client *http.Client, req *http.Request) int {
	resp, err := client.Do(req)
	if err != nil {
		noteError("0 " + err.Error())
		return 0
	}
	var head bytes.Buffer
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.CopyN(&head, resp.Body, 160)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if head.Len() > 0 || resp.StatusCode < 200 || resp.StatusCode > 299 {
		noteError(strconv.Itoa(resp.StatusCode) + " " + head.String())
	}
	if err != nil {
		return 0
	}
	return resp.StatusCode
}

func newClient(c *config, conns int) *http.Client {
	return &http.Client{
		Timeout: c.timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: c.timeout}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			DisableCompression:  true,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

type recorder struct {
	mu      sync.Mutex
	samples []sample
	from    time.Time // samples due (open) or sent (closed) before this are warm-up
}

func (rec *recorder) add(t time.Time, s sample) {
	if t.Before(rec.from) {
		return
	}
	rec.mu.Lock()
	rec.samples = append(rec.samples, s)
	rec.mu.Unlock()
}

func runOpen(c *config, rec *recorder, start time.Time) {
	total := int((c.warmup + c.duration).Seconds() * c.rate)
	due := make(chan time.Time, total+1)
	client := newClient(c, c.conns)
	var wg sync.WaitGroup
	for w := 0; w < c.conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(w) + 1))
			for t := range due {
				ri := pick(c.routes, r)
				status := 0
				lag := time.Since(t)
				// A request that waited longer than the timeout for a connection is
				// counted as timed out unsent: the run's end stays bounded.
				if lag < c.timeout {
					if req, err := c.request(ri, r); err == nil {
						status = do(client, req)
					}
				}
				rec.add(t, sample{ri, status, time.Since(t), lag})
			}
		}(w)
	}
	interval := time.Duration(float64(time.Second) / c.rate)
	for i := 0; i < total; i++ {
		t := start.Add(time.Duration(i) * interval)
		if d := time.Until(t); d > 0 {
			time.Sleep(d)
		}
		due <- t
	}
	close(due)
	wg.Wait()
}

func runClosed(c *config, rec *recorder, start time.Time) {
	end := start.Add(c.warmup + c.duration)
	var wg sync.WaitGroup
	for u := 0; u < c.users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			client := newClient(c, 1)
			r := rand.New(rand.NewSource(int64(u) + 1))
			// Users start spread over one think time, not all in the same instant.
			time.Sleep(time.Duration(r.Float64() * float64(c.think)))
			for time.Now().Before(end) {
				ri := pick(c.routes, r)
				req, err := c.request(ri, r)
				sent := time.Now()
				status := 0
				if err == nil {
					status = do(client, req)
				}
				rec.add(sent, sample{ri, status, time.Since(sent), 0})
				if c.think > 0 {
					time.Sleep(time.Duration(r.ExpFloat64() * float64(c.think)))
				}
			}
		}(u)
	}
	wg.Wait()
}

func percentiles(ls []time.Duration) map[string]float64 {
	if len(ls) == 0 {
		return nil
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
	at := func(p float64) float64 {
		k := int(math.Ceil(p/100*float64(len(ls)))) - 1
		if k < 0 {
			k = 0
		}
		return float64(ls[k].Microseconds()) / 1000
	}
	var sum time.Duration
	for _, l := range ls {
		sum += l
	}
	return map[string]float64{"p50": at(50), "p95": at(95), "p99": at(99),
		"max":  float64(ls[len(ls)-1].Microseconds()) / 1000,
		"mean": float64(sum.Microseconds()) / 1000 / float64(len(ls))}
}

type summary struct {
	Requests   int                `json:"requests"`
	Errors     int                `json:"errors"`
	ErrorRate  float64            `json:"error_rate"`
	Status503  int                `json:"status_503"`
	Transport  int                `json:"transport_errors"`
	Statuses   map[string]int     `json:"statuses"`
	Throughput float64            `json:"requests_per_sec"`
	Latency    map[string]float64 `json:"latency_ms"`
}

func summarize(ss []sample, seconds float64) summary {
	s := summary{Statuses: map[string]int{}}
	ls := make([]time.Duration, 0, len(ss))
	for _, x := range ss {
		s.Requests++
		s.Statuses[strconv.Itoa(x.status)]++
		if x.status < 200 || x.status > 299 {
			s.Errors++
		}
		if x.status == 503 {
			s.Status503++
		}
		if x.status == 0 {
			s.Transport++
		}
		ls = append(ls, x.latency)
	}
	if s.Requests > 0 {
		s.ErrorRate = float64(s.Errors) / float64(s.Requests)
	}
	s.Throughput = float64(s.Requests) / seconds
	s.Latency = percentiles(ls)
	return s
}

func main() {
	var c config
	var mix string
	var uploadKB int
	flag.StringVar(&c.base, "base", "http://127.0.0.1:8080", "service URL")
	flag.StringVar(&c.mode, "mode", "open", "open (arrival rate) or closed (users with think time)")
	flag.Float64Var(&c.rate, "rate", 100, "open: requests due per second")
	flag.IntVar(&c.conns, "conns", 256, "open: connections carrying the load")
	flag.IntVar(&c.users, "users", 10, "closed: concurrent users")
	flag.DurationVar(&c.think, "think", time.Second, "closed: mean think time between requests")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "measured time")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "time sent before measuring")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Second, "per-request timeout (then an error)")
	flag.StringVar(&mix, "mix", "ping=20,read=60,upload=15,batch=5", "route=weight,...")
	flag.StringVar(&c.seed, "seed", "load/seed", "folder of the seeded files r-<i>.bin")
	flag.IntVar(&c.seedCount, "seed-count", 50, "seeded files")
	flag.StringVar(&c.upload, "upload", "load/up", "folder uploads go to")
	flag.IntVar(&uploadKB, "upload-kb", 16, "upload size in KiB")
	flag.Parse()
	var err error
	if c.routes, err = parseMix(mix); err != nil {
		fmt.Fprintln(os.Stderr, "arrival:", err)
		os.Exit(2)
	}
	if (c.mode == "open" && (c.rate <= 0 || c.conns <= 0)) ||
		(c.mode == "closed" && c.users <= 0) || (c.mode != "open" && c.mode != "closed") {
		fmt.Fprintln(os.Stderr, "arrival: -mode open needs -rate > 0 and -conns > 0, "+
			"-mode closed needs -users > 0")
		os.Exit(2)
	}
	c.key = os.Getenv("FSVC_API_KEY")
	c.uploadBody = bytes.Repeat([]byte("fsvc-capacity-"), uploadKB*1024/14+1)[:uploadKB*1024]
	paths := make([]string, 5)
	for i := range paths {
		paths[i] = strconv.Quote(fmt.Sprintf("%s/r-%d.bin", c.seed, i%c.seedCount))
	}
	c.batchBody = []byte(`{"paths":[` + strings.Join(paths, ",") + `]}`)

	start := time.Now().Add(50 * time.Millisecond)
	rec := &recorder{from: start.Add(c.warmup)}
	if c.mode == "open" {
		runOpen(&c, rec, start)
	} else {
		runClosed(&c, rec, start)
	}
	out := map[string]interface{}{
		"mode": c.mode, "duration_s": c.duration.Seconds(), "warmup_s": c.warmup.Seconds(),
		"latency_from": map[string]string{"open": "intended send time",
			"closed": "actual send time"}[c.mode],
	}
	if c.mode == "open" {
		out["target_rate"] = c.rate
		out["conns"] = c.conns
	} else {
		out["users"] = c.users
		out["think_s"] = c.think.Seconds()
	}
	all := summarize(rec.samples, c.duration.Seconds())
	out["total"] = all
	per := map[string]summary{}
	for i, r := range c.routes {
		var ss []sample
		for _, x := range rec.samples {
			if x.route == i {
				ss = append(ss, x)
			}
		}
		per[r.name] = summarize(ss, c.duration.Seconds())
	}
	out["routes"] = per
	if c.mode == "open" {
		lags := make([]time.Duration, len(rec.samples))
		for i, x := range rec.samples {
			lags[i] = x.lag
		}
		out["send_lag_ms"] = percentiles(lags)
	}
	out["error_kinds"] = errorKinds.m
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
