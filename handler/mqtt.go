package handler

import (
	"net/http"
	"strconv"
)

// MQTTConnectCode is a CONNACK code: an MQTT 3.1.1 return code (1–5) or an MQTT 5 reason
// code (≥ 128). Codes below 128 follow the 3.1.1 table, the others the 5.0 table.
type MQTTConnectCode int

// MQTT 3.1.1 CONNACK return codes.
const (
	MQTTv311UnacceptableProtocolVersion MQTTConnectCode = 1
	MQTTv311IdentifierRejected          MQTTConnectCode = 2
	MQTTv311ServerUnavailable           MQTTConnectCode = 3
	MQTTv311BadUsernameOrPassword       MQTTConnectCode = 4
	MQTTv311NotAuthorized               MQTTConnectCode = 5
)

// MQTT 5 CONNACK reason codes.
const (
	MQTTUnspecifiedError            MQTTConnectCode = 128
	MQTTMalformedPacket             MQTTConnectCode = 129
	MQTTProtocolError               MQTTConnectCode = 130
	MQTTImplementationSpecificError MQTTConnectCode = 131
	MQTTUnsupportedProtocolVersion  MQTTConnectCode = 132
	MQTTClientIdentifierNotValid    MQTTConnectCode = 133
	MQTTBadUserNameOrPassword       MQTTConnectCode = 134
	MQTTNotAuthorized               MQTTConnectCode = 135
	MQTTServerUnavailable           MQTTConnectCode = 136
	MQTTServerBusy                  MQTTConnectCode = 137
	MQTTBanned                      MQTTConnectCode = 138
	MQTTBadAuthenticationMethod     MQTTConnectCode = 140
	MQTTTopicNameInvalid            MQTTConnectCode = 144
	MQTTPacketTooLarge              MQTTConnectCode = 149
	MQTTQuotaExceeded               MQTTConnectCode = 151
	MQTTPayloadFormatInvalid        MQTTConnectCode = 153
	MQTTRetainNotSupported          MQTTConnectCode = 154
	MQTTQoSNotSupported             MQTTConnectCode = 155
	MQTTUseAnotherServer            MQTTConnectCode = 156
	MQTTServerMoved                 MQTTConnectCode = 157
	MQTTConnectionRateExceeded      MQTTConnectCode = 159
)

var mqttCodeNames = map[MQTTConnectCode]string{
	MQTTv311UnacceptableProtocolVersion: "UnacceptableProtocolVersion", MQTTv311IdentifierRejected: "IdentifierRejected",
	MQTTv311ServerUnavailable: "ServerUnavailable", MQTTv311BadUsernameOrPassword: "BadUsernameOrPassword",
	MQTTv311NotAuthorized: "NotAuthorized", MQTTUnspecifiedError: "UnspecifiedError", MQTTMalformedPacket: "MalformedPacket",
	MQTTProtocolError: "ProtocolError", MQTTImplementationSpecificError: "ImplementationSpecificError",
	MQTTUnsupportedProtocolVersion: "UnsupportedProtocolVersion", MQTTClientIdentifierNotValid: "ClientIdentifierNotValid",
	MQTTBadUserNameOrPassword: "BadUserNameOrPassword", MQTTNotAuthorized: "NotAuthorized",
	MQTTServerUnavailable: "ServerUnavailable", MQTTServerBusy: "ServerBusy", MQTTBanned: "Banned",
	MQTTBadAuthenticationMethod: "BadAuthenticationMethod", MQTTTopicNameInvalid: "TopicNameInvalid",
	MQTTPacketTooLarge: "PacketTooLarge", MQTTQuotaExceeded: "QuotaExceeded", MQTTPayloadFormatInvalid: "PayloadFormatInvalid",
	MQTTRetainNotSupported: "RetainNotSupported", MQTTQoSNotSupported: "QoSNotSupported", MQTTUseAnotherServer: "UseAnotherServer",
	MQTTServerMoved: "ServerMoved", MQTTConnectionRateExceeded: "ConnectionRateExceeded",
}

// String returns the code's name and value, e.g. "NotAuthorized(135)".
func (c MQTTConnectCode) String() string {
	name, ok := mqttCodeNames[c]
	if !ok {
		name = "MQTTConnectCode"
	}
	return name + "(" + strconv.Itoa(int(c)) + ")"
}

// HTTPStatus is the status the official SDKs answer when a connect fails with code.
func (c MQTTConnectCode) HTTPStatus() int {
	if c < 128 {
		switch c {
		case MQTTv311UnacceptableProtocolVersion, MQTTv311IdentifierRejected:
			return http.StatusBadRequest
		case MQTTv311ServerUnavailable:
			return http.StatusServiceUnavailable
		case MQTTv311BadUsernameOrPassword, MQTTv311NotAuthorized:
			return http.StatusUnauthorized
		}
		return http.StatusInternalServerError
	}
	switch c {
	case MQTTMalformedPacket, MQTTImplementationSpecificError, MQTTUnsupportedProtocolVersion,
		MQTTClientIdentifierNotValid, MQTTBadAuthenticationMethod, MQTTTopicNameInvalid,
		MQTTPacketTooLarge, MQTTPayloadFormatInvalid, MQTTRetainNotSupported, MQTTQoSNotSupported:
		return http.StatusBadRequest
	case MQTTBadUserNameOrPassword, MQTTNotAuthorized:
		return http.StatusUnauthorized
	case MQTTBanned:
		return http.StatusForbidden
	case MQTTQuotaExceeded, MQTTConnectionRateExceeded:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// mqttCodeFor derives the CONNACK code for a failed MQTT connect answered with status, for
// a client speaking protocolVersion (4 = 3.1.1, 5 = 5.0), as the JS SDK does: 400 → bad
// user name or password, 401 → not authorized, else server unavailable (3.1.1) or
// unspecified error (5). An unknown protocol version yields 1.
func mqttCodeFor(status, protocolVersion int) MQTTConnectCode {
	switch protocolVersion {
	case 3, 4:
		switch status {
		case http.StatusBadRequest:
			return MQTTv311BadUsernameOrPassword
		case http.StatusUnauthorized:
			return MQTTv311NotAuthorized
		}
		return MQTTv311ServerUnavailable
	case 5:
		switch status {
		case http.StatusBadRequest:
			return MQTTBadUserNameOrPassword
		case http.StatusUnauthorized:
			return MQTTNotAuthorized
		}
		return MQTTUnspecifiedError
	}
	return MQTTv311UnacceptableProtocolVersion
}

// MQTTUserProperty is one MQTT 5 user property (name/value pair).
type MQTTUserProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MQTTConnectProperties are the MQTT fields of a connect event.
type MQTTConnectProperties struct {
	// ProtocolVersion is 4 for MQTT 3.1.1 and 5 for MQTT 5.0.
	ProtocolVersion int `json:"protocolVersion"`
	// Username is the CONNECT user name, if any.
	Username string `json:"username,omitempty"`
	// Password is the binary CONNECT password (base64 on the wire).
	Password []byte `json:"password,omitempty"`
	// UserProperties are the CONNECT user properties (MQTT 5 only).
	UserProperties []MQTTUserProperty `json:"userProperties,omitempty"`
	// CleanStart is the clean start / clean session flag, when the service sends it.
	CleanStart bool `json:"cleanStart,omitempty"`
}

// MQTTConnectResponseProperties are the MQTT fields of a connect response.
type MQTTConnectResponseProperties struct {
	// UserProperties go into the CONNACK (MQTT 5 clients only).
	UserProperties []MQTTUserProperty `json:"userProperties,omitempty"`
}

// MQTTDisconnectedProperties are the MQTT fields of a disconnected event.
type MQTTDisconnectedProperties struct {
	// InitiatedByClient reports whether the client ended the session.
	InitiatedByClient bool `json:"initiatedByClient"`
	// DisconnectPacket is the DISCONNECT packet exchanged, nil when there was none (for
	// example after an I/O error).
	DisconnectPacket *MQTTDisconnectPacket `json:"disconnectPacket,omitempty"`
}

// MQTTDisconnectPacket is the DISCONNECT packet of an MQTT session end.
type MQTTDisconnectPacket struct {
	// Code is the DISCONNECT reason code (always 0 for MQTT 3.1.1).
	Code int `json:"code"`
	// UserProperties of the packet; nil when the service sent the DISCONNECT.
	UserProperties []MQTTUserProperty `json:"userProperties,omitempty"`
}

// MQTTContext carries the MQTT identifiers of an event's connection.
type MQTTContext struct {
	// PhysicalConnectionID identifies the network connection (ce-physicalConnectionId).
	PhysicalConnectionID string
	// SessionID identifies the MQTT session (ce-sessionId); empty on connect.
	SessionID string
}

// mqttErrorBody is the JSON body of a failed MQTT connect.
type mqttErrorBody struct {
	MQTT mqttErrorFields `json:"mqtt"`
}

type mqttErrorFields struct {
	Code           MQTTConnectCode    `json:"code"`
	Reason         string             `json:"reason,omitempty"`
	UserProperties []MQTTUserProperty `json:"userProperties,omitempty"`
}
