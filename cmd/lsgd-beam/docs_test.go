package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestDocs: solve --help and README's lsgd-beam section teach the
// weights, the inference fields and logistic regression.
func TestDocs(t *testing.T) {
	var help, stderr bytes.Buffer
	if rc := run(context.Background(), []string{"solve", "--help"}, &help, &stderr); rc != 0 {
		t.Fatalf("--help: exit %d: %s", rc, stderr.String())
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## Beyond one machine: lsgd-beam")
	if i < 0 {
		t.Fatal("README has no lsgd-beam section")
	}
	section := readme[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	fields := []string{"std_err", "t_values", "p_values", "conf_int", "intercept_std_err", "intercept_t_value",
		"intercept_p_value", "intercept_conf_int", "residual_std_err", "df_resid", "df_model", "adj_r2",
		"f_statistic", "f_p_value", "weighted"}
	for _, doc := range []struct{ name, text string }{{"--help", help.String()}, {"README", section}} {
		for _, w := range append([]string{"--weights", "--family binomial", "log_loss", "accuracy", "passes", "decrement"}, fields...) {
			if !strings.Contains(doc.text, w) {
				t.Errorf("%s does not mention %q", doc.name, w)
			}
		}
	}
}
