package config

import "reflect"

// SecretValues returns the value of every secret in c (github.private_key,
// the webhook secrets, store.dsn, Jenkins tokens and passwords, Slack
// tokens and webhook URLs, http action secrets, server.admin_token), empty
// ones left out. Records that show rendered actions replace any of them
// with <secret>, so a secret a template happened to interpolate (through
// ${VAR} in a header, say) is not shown.
func (c *Config) SecretValues() []string {
	var out []string
	collectSecrets(reflect.ValueOf(c).Elem(), &out)
	return out
}

func collectSecrets(v reflect.Value, out *[]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collectSecrets(v.Elem(), out)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				collectSecrets(v.Field(i), out)
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			collectSecrets(it.Value(), out)
		}
	case reflect.Slice, reflect.Array:
		if v.Type() == secretListType {
			for i := 0; i < v.Len(); i++ {
				if s := v.Index(i).String(); s != "" {
					*out = append(*out, s)
				}
			}
			return
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < v.Len(); i++ {
			collectSecrets(v.Index(i), out)
		}
	case reflect.String:
		if v.Type() == secretType && v.String() != "" {
			*out = append(*out, v.String())
		}
	}
}
