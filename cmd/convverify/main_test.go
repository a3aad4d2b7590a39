package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// runCLI runs the command with args and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	oldOut, oldErr := stdout, stderr
	stdout, stderr = &buf, &buf
	defer func() { stdout, stderr = oldOut, oldErr }()
	code := run(args)
	return code, buf.String()
}

func TestDescribe(t *testing.T) {
	code, out := runCLI(t, "describe", `mb1ic64ih56oc64oh56kh3ph1n"resnet_50:res2a"`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"mb1ic64ih56iw56oc64oh56ow56kh3kw3", "resnet_50:res2a", "231211008 dense", "p_begin", "benchdnn_d"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe output lacks %q:\n%s", want, out)
		}
	}
}

func TestDescribeJSONAndList(t *testing.T) {
	code, out := runCLI(t, "describe", "--json", "--op", "deconv", "ic4ih3oc2oh6kh4sh2", "mb1ic8iw10oc8ow10kw3pw1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON object per problem, got %d lines:\n%s", len(lines), out)
	}
	var d description
	if err := json.Unmarshal([]byte(lines[0]), &d); err != nil {
		t.Fatal(err)
	}
	if d.Op != "deconv" || d.Axes[0].PBegin != 1 || d.Axes[0].Dilation != 1 || d.Axes[0].BenchdnnDil != 0 {
		t.Errorf("deconv description: %+v", d)
	}
	code, out = runCLI(t, "describe", "../../shapes/benchdnn/conv/shapes_resnet_50")
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != 20 {
		t.Errorf("shape file: exit %d, want 20 lines:\n%s", code, out)
	}
}

func TestBadInputExitsTwoWithField(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		field string
	}{
		{[]string{"describe", "ic3ih5oc4kh3g2"}, "ic"},
		{[]string{"describe", "ic4ih5oc4"}, "kh"},
		{[]string{"describe", "--op", "bogus", "ic4ih5oc4kh3"}, "op"},
		{[]string{"check", "mb1ic1iw4294967311oc1ow4294967311kw1"}, "memory"},
		{[]string{"check", "--golden", "/nonexistent/folder"}, ""},
		{[]string{"nonsense"}, ""},
		{[]string{"describe", "--mask", "ic4ih5oc4kh3"}, "--mask"},
		{[]string{"describe", "--experts", "3", "--op", "deform", "ic4ih5oc4kh3"}, "--experts"},
		{[]string{"describe", "/nonexistent/shapes_x"}, "/nonexistent/shapes_x"},
		{[]string{"check", "--golden", "--budget", "100", "../../testdata/onnx/test_convtranspose"}, "budget"},
	} {
		code, out := runCLI(t, tc.args...)
		if code == 0 {
			t.Errorf("%v: exit 0, want failure; output %s", tc.args, out)
		}
		if !strings.Contains(out, tc.field) {
			t.Errorf("%v: message does not name %q: %s", tc.args, tc.field, out)
		}
	}
}

// TestDescribeShapeFileIsAList: a shape file is list mode even when it holds
// one problem, and an error in it names the file and line.
func TestDescribeShapeFileIsAList(t *testing.T) {
	code, out := runCLI(t, "describe", "--json", "../../shapes/benchdnn/conv/shapes_vit")
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("one-problem shape file: exit %d, want one JSON line:\n%s", code, out)
	}
	dir := t.TempDir()
	f := dir + "/shapes_bad"
	if err := os.WriteFile(f, []byte("ic4ih5oc4kh3\n# comment\nic4ih5oc6kh3g4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = runCLI(t, "describe", f)
	if code != 2 || !strings.Contains(out, f+":3") || !strings.Contains(out, "oc: 6 is not divisible") || strings.Contains(out, "ic4ih5iw5") {
		t.Errorf("bad line 3: exit %d, want 2, the file:line, the field, and no partial listing:\n%s", code, out)
	}
}
