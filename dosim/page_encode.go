package dosim

import (
	"encoding/json"
	"strconv"
)

// appendThin writes a droplet's own fields as encoding/json would write dropletThin,
// without reflection: a page of 200 droplets is most of what a big fleet's listing costs.
// TestPageEncodingMatches holds the two encodings equal. The result lacks the closing
// brace, so that the shared parts can follow.
func appendThin(b []byte, t *dropletThin) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(t.ID), 10)
	b = appendField(b, "name", t.Name)
	b = appendIntField(b, "memory", t.Memory)
	b = appendIntField(b, "vcpus", t.VCPUs)
	b = appendIntField(b, "disk", t.Disk)
	b = append(b, `,"disk_info":[`...)
	for i, d := range t.DiskInfo {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(b, `{"type":`...), d.Type)
		b = strconv.AppendInt(append(b, `,"size":{"amount":`...), int64(d.Size.Amount), 10)
		b = append(appendField(b, "unit", d.Size.Unit), "}}"...)
	}
	b = strconv.AppendBool(append(b, `],"locked":`...), t.Locked)
	b = appendField(b, "status", t.Status)
	b = appendRaw(append(b, `,"kernel":`...), t.Kernel)
	b = appendField(b, "created_at", t.CreatedAt)
	b = appendStrings(append(b, `,"features":`...), t.Features)
	b = appendIntList(append(b, `,"backup_ids":`...), t.BackupIDs)
	b = appendRaw(append(b, `,"next_backup_window":`...), t.NextBackupWindow)
	b = appendIntList(append(b, `,"snapshot_ids":`...), t.SnapshotIDs)
	b = appendStrings(append(b, `,"volume_ids":`...), t.VolumeIDs)
	b = appendField(b, "size_slug", t.SizeSlug)
	b = appendNetworks(append(b, `,"networks":{"v4":`...), t.Networks.V4)
	b = append(appendNetworks(append(b, `,"v6":`...), t.Networks.V6), '}')
	b = appendStrings(append(b, `,"tags":`...), t.Tags)
	b = appendField(b, "vpc_uuid", t.VPCUUID)
	if t.SubnetUUID != "" {
		b = appendField(b, "subnet_uuid", t.SubnetUUID)
	}
	if t.GPUInfo != nil {
		b = appendRaw(append(b, `,"gpu_info":`...), t.GPUInfo)
	}
	return b
}

// appendField writes ,"key":"value".
func appendField(b []byte, key, value string) []byte {
	b = append(append(append(b, `,"`...), key...), `":`...)
	return appendString(b, value)
}

// appendIntField writes ,"key":value.
func appendIntField(b []byte, key string, v int) []byte {
	b = append(append(append(b, `,"`...), key...), `":`...)
	return strconv.AppendInt(b, int64(v), 10)
}

func appendIntList(b []byte, list []int) []byte {
	b = append(b, '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, ']')
}

func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func appendNetworks(b []byte, list []networkJSON) []byte {
	b = append(b, '[')
	for i, n := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(b, `{"ip_address":`...), n.IPAddress)
		switch m := n.Netmask.(type) {
		case string:
			b = appendString(append(b, `,"netmask":`...), m)
		case int:
			b = strconv.AppendInt(append(b, `,"netmask":`...), int64(m), 10)
		default:
			b = appendRaw(append(b, `,"netmask":`...), m)
		}
		b = appendField(b, "gateway", n.Gateway)
		b = append(appendField(b, "type", n.Type), '}')
	}
	return append(b, ']')
}

// appendRaw writes a rare or small value (null included) through encoding/json.
func appendRaw(b []byte, v any) []byte {
	if p, ok := v.(*Kernel); ok && p == nil {
		return append(b, "null"...)
	}
	if p, ok := v.(*backupWindow); ok && p == nil {
		return append(b, "null"...)
	}
	return append(b, mustJSON(v)...)
}

// appendString writes a JSON string: directly when it holds only characters encoding/json
// writes as they are, else through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			out, _ := json.Marshal(s)
			return append(b, out...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
