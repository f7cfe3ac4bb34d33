"""Service-layer support of the OpenStack front ends: projects and token scopes, Neutron views over
lognet networks and vNICs, subnets and IP address management. Everything runs through lognet's own rules."""
