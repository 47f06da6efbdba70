package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrorSamples bounds the distinct transport errors a result keeps.
const maxErrorSamples = 5

// loadConfig is one load run's settings.
type loadConfig struct {
	Name        string  // "floor" or "target", for the report
	URL         string  // one webhook URL, or several separated by commas, sent to in turn
	Rate        float64 // deliveries started per second in all; 0: as fast as the senders go
	Secret      string
	Event       string
	Concurrency int
	Duration    time.Duration
	MaxRequests int64 // bound on the requests of the run, whatever the duration
	Size        int
	Timeout     time.Duration // per request
	RunID       uint32        // makes delivery IDs unique across runs
	// OnSend, when set, hears each delivery's ID and the time its request
	// starts; OnAnswer its status once answered (latency mode).
	OnSend   func(id string, at time.Time)
	OnAnswer func(id string, status int)
}

// latencies are the percentiles of the request latencies, in milliseconds.
type latencies struct {
	P50 float64 `json:"p50_ms"`
	P90 float64 `json:"p90_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// result is what a run measured.
type result struct {
	Name        string           `json:"name"`
	URL         string           `json:"url"`
	Concurrency int              `json:"concurrency"`
	PayloadSize int              `json:"payload_bytes"`
	Elapsed     float64          `json:"elapsed_s"`
	Requests    int64            `json:"requests"`
	Delivered   int64            `json:"delivered"` // 2xx answers
	PerSecond   float64          `json:"deliveries_per_s"`
	Latency     latencies        `json:"latency"` // of every answered request
	Status      map[string]int64 `json:"status"`
	Errors      int64            `json:"errors"` // no answer: transport errors, timeouts
	// CutShort counts requests the end of the run cancelled before their
	// answer: the target may or may not have stored them.
	CutShort    int64    `json:"cut_short"`
	ErrorSample []string `json:"error_samples,omitempty"`
}

// sender holds one concurrent sender's tallies, merged at the end.
type sender struct {
	lat    []time.Duration
	status map[int]int64
	errs   int64
	cut    int64
}

// runLoad drives cfg.URL with cfg.Concurrency senders until cfg.Duration has
// passed or cfg.MaxRequests were started, whichever comes first.
func runLoad(ctx context.Context, cfg loadConfig) (result, error) {
	if cfg.Concurrency < 1 || cfg.Duration <= 0 || cfg.MaxRequests < 1 || cfg.Rate < 0 {
		return result{}, errors.New("concurrency, duration and request bound must be positive, rate not negative")
	}
	urls := strings.Split(cfg.URL, ",")
	tmpl, err := newPayloadTemplate(cfg.Size)
	if err != nil {
		return result{}, err
	}
	transport := &http.Transport{
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		MaxConnsPerHost:     cfg.Concurrency,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout}

	var (
		next    atomic.Int64
		mu      sync.Mutex
		samples []string
	)
	sample := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		s := err.Error()
		for _, have := range samples {
			if have == s {
				return
			}
		}
		if len(samples) < maxErrorSamples {
			samples = append(samples, s)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	senders := make([]*sender, cfg.Concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range senders {
		s := &sender{lat: make([]time.Duration, 0, 4096), status: map[int]int64{}}
		senders[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				seq := next.Add(1)
				if seq > cfg.MaxRequests {
					return
				}
				if cfg.Rate > 0 && !waitTurn(ctx, start, seq, cfg.Rate) {
					return
				}
				took, status, err := sendOne(ctx, client, cfg, urls, tmpl, seq)
				switch {
				case err != nil && ctx.Err() != nil:
					// Cut short by the end of the run: not the target's fault.
					s.cut++
					return
				case err != nil:
					s.errs++
					sample(err)
				default:
					s.lat = append(s.lat, took)
					s.status[status]++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := result{
		Name: cfg.Name, URL: cfg.URL, Concurrency: cfg.Concurrency, PayloadSize: len(tmpl.body),
		Elapsed: elapsed.Seconds(), Status: map[string]int64{}, ErrorSample: samples,
	}
	var all []time.Duration
	for _, s := range senders {
		all = append(all, s.lat...)
		res.Errors += s.errs
		res.CutShort += s.cut
		for code, n := range s.status {
			res.Status[strconv.Itoa(code)] += n
			res.Requests += n
			if code/100 == 2 {
				res.Delivered += n
			}
		}
	}
	res.Requests += res.Errors
	res.PerSecond = float64(res.Delivered) / elapsed.Seconds()
	res.Latency = percentiles(all)
	return res, nil
}

// sendOne sends delivery number seq and returns its latency and status.
func sendOne(ctx context.Context, client *http.Client, cfg loadConfig, urls []string, tmpl payloadTemplate, seq int64) (time.Duration, int, error) {
	// The commit SHA and the delivery ID are both made unique per request, so
	// no layer can serve a request from what it saw before.
	sha := fmt.Sprintf("%08x%032x", cfg.RunID, seq)
	body := tmpl.render(sha)
	mac := hmac.New(sha256.New, []byte(cfg.Secret))
	mac.Write(body)

	// Round robin over the targets, as a load balancer in front of replicas.
	target := urls[int(seq%int64(len(urls)))]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/switchboard-load")
	req.Header.Set("X-GitHub-Event", cfg.Event)
	id := deliveryID(cfg.RunID, seq)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))

	start := time.Now()
	if cfg.OnSend != nil {
		cfg.OnSend(id, start)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return 0, 0, err
	}
	took := time.Since(start)
	if cfg.OnAnswer != nil {
		cfg.OnAnswer(id, resp.StatusCode)
	}
	return took, resp.StatusCode, nil
}

// waitTurn waits until request seq is due at rate requests/s from start,
// and reports false if ctx ends first. Request times are fixed in advance,
// so a slow answer delays only its sender, not the schedule.
func waitTurn(ctx context.Context, start time.Time, seq int64, rate float64) bool {
	d := time.Until(start.Add(time.Duration(float64(seq-1) / rate * float64(time.Second))))
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// deliveryID is a GUID-shaped delivery ID, as GitHub sends, unique per run
// and sequence number.
func deliveryID(run uint32, seq int64) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", run, seq)
}

// percentiles returns the nearest-rank percentiles of d, in milliseconds.
func percentiles(d []time.Duration) latencies {
	if len(d) == 0 {
		return latencies{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(p float64) float64 {
		i := min(max(int(math.Ceil(p*float64(len(d)))), 1), len(d))
		return ms(d[i-1])
	}
	return latencies{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(d[len(d)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
