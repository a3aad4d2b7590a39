// Package worker is the client side of the convverify worker protocol
// (docs/worker-protocol.md): it starts an implementation written in any
// language as a persistent process, hands it one golden-format folder of
// inputs at a time over JSON lines, and judges the y.npy it writes against
// the reference under the comparator's bound. A worker that declares the
// time capability can also be asked to time its own runs (Worker.Time), for
// convverify bench --peer; one that declares the grad capability is also
// sent backward cases (CheckGrad: dy in, the direction's gradients out,
// each judged against reference.Backward).
//
// Everything the worker does is treated as hostile: it may crash, hang,
// print garbage or replies out of order, write y.npy of the wrong shape or
// dtype, truncated, as a link to a device, or full of NaN. Each of these is an
// Outcome that names the case and the cause, with the tail of the worker's
// stderr; the worker is then restarted. Nothing it does makes this package
// panic or report a pass.
package worker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Protocol names and versions the protocol in the worker's first line.
const (
	Protocol = "convverify-worker"
	Version  = 1
)

// maxLine bounds one line from the worker: a reply is a few dozen bytes, an
// error message a few hundred; a longer line is garbage.
const maxLine = 64 << 10

// Hello is the worker's first line, sent unprompted once it is ready:
//
//	{"protocol":"convverify-worker","version":1,"name":"pytorch 1.13.1","ops":["conv","deconv"],"caps":["time"]}
//
// Ops lists the ops it handles (informational: a problem of another op is
// still sent, and the worker answers with an error, reported as skipped).
// Caps lists the optional parts of version 1 the worker speaks (CapTime,
// CapGrad);
// a worker without the field speaks none. Later optional parts are new
// capability names, never new handshake fields, so that a worker written
// for one of them still shakes hands with a convverify that parses the
// handshake strictly.
type Hello struct {
	Protocol string   `json:"protocol"`
	Version  int      `json:"version"`
	Name     string   `json:"name"`
	Ops      []string `json:"ops"`
	Caps     []string `json:"caps,omitempty"`
}

// CapTime is the capability of timing requests: a Request with Time set,
// answered with the nanoseconds of each timed run (TimedReply).
const CapTime = "time"

// Can reports whether the worker declared capability c.
func (h Hello) Can(c string) bool {
	for _, x := range h.Caps {
		if x == c {
			return true
		}
	}
	return false
}

// Request is one line to the worker: run the case in Dir (an absolute path)
// and write Dir/y.npy (a backward case, sent only to a worker with CapGrad:
// the gradients its direction writes). ID counts requests from 1 in one process. Time, sent
// only to a worker with CapTime, asks it to time its own runs.
type Request struct {
	ID   int64   `json:"id"`
	Dir  string  `json:"dir"`
	Time *Timing `json:"time,omitempty"`
}

// Timing asks a worker to run the case Warmup times untimed, then Reps
// times, each timed alone with its own clock, with Threads threads (its
// library's intra-op parallelism), and to reply with the Reps durations:
//
//	{"id":3,"dir":"/tmp/…/L0","time":{"reps":40,"warmup":1,"threads":1}}
//	{"id":3,"ok":true,"ns":[1203311,1198820,…]}
//
// The worker times exactly the call it makes for a correctness request,
// with the inputs already loaded and y.npy written after the last run, so
// neither the pipe nor the files are in the time.
type Timing struct {
	Reps    int `json:"reps"`
	Warmup  int `json:"warmup"`
	Threads int `json:"threads"`
}

// MaxReps bounds Timing.Reps: a reply's ns list stays well under maxLine.
const MaxReps = 2000

// TimedReply is the reply to a timing request: NS (len Reps) once the runs
// are done, or Error for a problem the worker does not support.
//
// Wall and CPU are measured by convverify, not reported by the worker: the
// request's wall time, and the CPU time the worker's process group spent
// meanwhile (every thread of every process in it; CPUKnown is false where
// it cannot be read, off Linux). CPU/Wall is then a lower bound on how many
// cores the timed runs kept busy (loading the inputs and the warm-up runs
// are in Wall too), which shows a library whose own thread pool ignores
// the thread count asked for.
type TimedReply struct {
	ID       int64
	NS       []int64
	Error    string
	Wall     time.Duration
	CPU      time.Duration
	CPUKnown bool
}

// Reply is one line from the worker: {"id":N,"ok":true} once y.npy is
// written, or {"id":N,"error":"…"} for a problem it does not support.
type Reply struct {
	ID    int64
	OK    bool
	Error string
}

// parseHello reads the handshake line strictly.
func parseHello(line []byte) (Hello, error) {
	var h Hello
	if err := strictUnmarshal(line, &h); err != nil {
		return Hello{}, fmt.Errorf("handshake: %v in %s", err, quoteLine(line))
	}
	if h.Protocol != Protocol {
		return Hello{}, fmt.Errorf("handshake: protocol %q, want %q in %s", h.Protocol, Protocol, quoteLine(line))
	}
	if h.Version != Version {
		return Hello{}, fmt.Errorf("handshake: protocol version %d; this convverify speaks version %d", h.Version, Version)
	}
	return h, nil
}

// parseReply reads one reply line for request id. Exactly one of "ok":true
// and "error":"…" must be present, and the id must be the request's.
func parseReply(line []byte, id int64) (Reply, error) {
	var raw struct {
		ID    *int64  `json:"id"`
		OK    *bool   `json:"ok"`
		Error *string `json:"error"`
	}
	if err := strictUnmarshal(line, &raw); err != nil {
		return Reply{}, fmt.Errorf("reply is not a JSON reply object (%v): %s", err, quoteLine(line))
	}
	switch {
	case raw.ID == nil:
		return Reply{}, fmt.Errorf("reply has no id: %s", quoteLine(line))
	case *raw.ID != id:
		return Reply{}, fmt.Errorf("reply out of order: id %d, want %d: %s", *raw.ID, id, quoteLine(line))
	case raw.OK != nil && raw.Error != nil:
		return Reply{}, fmt.Errorf("reply has both ok and error: %s", quoteLine(line))
	case raw.Error != nil:
		if *raw.Error == "" {
			return Reply{}, fmt.Errorf("reply has an empty error: %s", quoteLine(line))
		}
		return Reply{ID: id, Error: *raw.Error}, nil
	case raw.OK == nil || !*raw.OK:
		return Reply{}, fmt.Errorf(`reply is neither {"ok":true} nor {"error":"…"}: %s`, quoteLine(line))
	}
	return Reply{ID: id, OK: true}, nil
}

// parseTimedReply reads the reply to timing request id asking for reps runs:
// exactly the fields id and either "ok":true with "ns" (reps non-negative
// integers, not all zero) or "error".
func parseTimedReply(line []byte, id int64, reps int) (TimedReply, error) {
	var raw struct {
		ID    *int64   `json:"id"`
		OK    *bool    `json:"ok"`
		NS    *[]int64 `json:"ns"`
		Error *string  `json:"error"`
	}
	if err := strictUnmarshal(line, &raw); err != nil {
		return TimedReply{}, fmt.Errorf("reply to a timing request is not a JSON reply object with integer nanoseconds (%v): %s", err, quoteLine(line))
	}
	switch {
	case raw.ID == nil:
		return TimedReply{}, fmt.Errorf("reply has no id: %s", quoteLine(line))
	case *raw.ID != id:
		return TimedReply{}, fmt.Errorf("reply out of order: id %d, want %d: %s", *raw.ID, id, quoteLine(line))
	case raw.Error != nil && (raw.OK != nil || raw.NS != nil):
		return TimedReply{}, fmt.Errorf("reply has both error and ok or ns: %s", quoteLine(line))
	case raw.Error != nil:
		if *raw.Error == "" {
			return TimedReply{}, fmt.Errorf("reply has an empty error: %s", quoteLine(line))
		}
		return TimedReply{ID: id, Error: *raw.Error}, nil
	case raw.OK == nil || !*raw.OK:
		return TimedReply{}, fmt.Errorf(`reply is neither {"ok":true,"ns":[…]} nor {"error":"…"}: %s`, quoteLine(line))
	case raw.NS == nil:
		return TimedReply{}, fmt.Errorf("reply to a timing request has no ns: %s", quoteLine(line))
	case len(*raw.NS) != reps:
		return TimedReply{}, fmt.Errorf("reply has %d durations in ns, want %d (the reps asked for): %s", len(*raw.NS), reps, quoteLine(line))
	}
	var sum int64
	for i, ns := range *raw.NS {
		if ns < 0 {
			return TimedReply{}, fmt.Errorf("reply's ns[%d] = %d is negative: %s", i, ns, quoteLine(line))
		}
		sum += ns
		if sum < 0 {
			return TimedReply{}, fmt.Errorf("reply's durations overflow: %s", quoteLine(line))
		}
	}
	if sum == 0 {
		return TimedReply{}, fmt.Errorf("reply's durations are all 0 (a clock too coarse, or no runs): %s", quoteLine(line))
	}
	return TimedReply{ID: id, NS: *raw.NS}, nil
}

// strictUnmarshal decodes one JSON object with no unknown fields and nothing after it.
func strictUnmarshal(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the object")
	}
	return nil
}

// quoteLine quotes a line for a message, shortened.
func quoteLine(b []byte) string {
	const most = 200
	if len(b) > most {
		return fmt.Sprintf("%q… (%d bytes)", b[:most], len(b))
	}
	return fmt.Sprintf("%q", b)
}
