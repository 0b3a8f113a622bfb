package contracttest

import "testing"

func TestDecodeResult(t *testing.T) {
	for _, tc := range []struct {
		line  string
		ok    bool
		bound float64
	}{
		{`{"window":"minute","start":60,"end":120,"uniques":3,"frames":4,"late":0,"status":"final","exact":true}`, true, 0},
		{`{"window":"day","start":0,"end":86400,"uniques":3,"frames":4,"late":1,"status":"early","exact":false,"error_bound":0.0081}`, true, 0.0081},
		{`{"window":"minute","start":60,"end":120,"uniques":3,"frames":4,"late":0,"status":"final","exact":true,"extra":1}`, false, 0},
		{`{"window":"minute","start":60} {}`, false, 0},
		{`not json`, false, 0},
	} {
		r, err := DecodeResult([]byte(tc.line))
		if (err == nil) != tc.ok || r.Bound() != tc.bound {
			t.Errorf("DecodeResult(%s) = %+v (bound %g), %v; want ok %v, bound %g", tc.line, r, r.Bound(), err, tc.ok, tc.bound)
		}
	}
}
