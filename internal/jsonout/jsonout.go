// Package jsonout encodes JSON the way every lsgd output needs it: like
// encoding/json (field order and tags kept), indented, with NaN and ±Inf
// written as null instead of failing.
package jsonout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
)

// Marshal encodes v like encoding/json (field order and tags kept) but
// writes NaN and ±Inf as null instead of failing: a condition number can be
// infinite and an interrupted fit's loss can be NaN, and the JSON object
// must still come out.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := encodeFinite(&buf, reflect.ValueOf(v)); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// Write writes v to w as one indented JSON object (Marshal).
func Write(w io.Writer, v any) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func encodeFinite(buf *bytes.Buffer, v reflect.Value) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			buf.WriteString("null")
			return nil
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			break
		}
		if v.Kind() == reflect.Slice && v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeFinite(buf, v.Index(i)); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case reflect.Struct:
		if _, ok := v.Interface().(json.Marshaler); ok {
			break
		}
		buf.WriteByte('{')
		n := 0
		if err := encodeFields(buf, v, &n, map[string]bool{}); err != nil {
			return err
		}
		buf.WriteByte('}')
		return nil
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

// encodeFields writes the fields of struct v, promoting the fields of
// embedded structs the way encoding/json does (the outer field wins on a
// name both have).
func encodeFields(buf *bytes.Buffer, v reflect.Value, n *int, seen map[string]bool) error {
	t := v.Type()
	// Outer fields first claim their names.
	type field struct {
		name string
		val  reflect.Value
	}
	var own []field
	var embedded []reflect.Value
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		fv := v.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			for fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					break
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				embedded = append(embedded, fv)
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if strings.Contains(opts, "omitempty") && fv.IsZero() {
			continue
		}
		if strings.Contains(opts, "omitempty") && (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.Len() == 0 {
			continue
		}
		own = append(own, field{name, fv})
	}
	for _, f := range own {
		seen[f.name] = true
	}
	// Embedded structs' fields come first (the outer fields extend them).
	for _, e := range embedded {
		if err := encodeEmbedded(buf, e, n, seen); err != nil {
			return err
		}
	}
	for _, f := range own {
		if *n > 0 {
			buf.WriteByte(',')
		}
		*n++
		k, _ := json.Marshal(f.name)
		buf.Write(k)
		buf.WriteByte(':')
		if err := encodeFinite(buf, f.val); err != nil {
			return fmt.Errorf("field %s: %w", f.name, err)
		}
	}
	return nil
}

// encodeEmbedded writes the fields of an embedded struct that the outer
// struct did not already write.
func encodeEmbedded(buf *bytes.Buffer, v reflect.Value, n *int, seen map[string]bool) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if sf.Anonymous && name == "" {
			// An embedded struct's own embedded struct: its fields are
			// promoted too, in place.
			for fv.Kind() == reflect.Pointer && !fv.IsNil() {
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				if err := encodeEmbedded(buf, fv, n, seen); err != nil {
					return err
				}
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if seen[name] {
			continue
		}
		if strings.Contains(opts, "omitempty") && (fv.IsZero() ||
			(fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.Len() == 0) {
			continue
		}
		seen[name] = true
		if *n > 0 {
			buf.WriteByte(',')
		}
		*n++
		k, _ := json.Marshal(name)
		buf.Write(k)
		buf.WriteByte(':')
		if err := encodeFinite(buf, fv); err != nil {
			return fmt.Errorf("field %s: %w", name, err)
		}
	}
	return nil
}
