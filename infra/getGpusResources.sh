#!/bin/bash
# Spark GPU discovery script: this node's GPU indexes as a ResourceInformation JSON
# (spark.executor.resource.gpu.discoveryScript). The bootstrap scripts install it as
# /opt/weft/getGpusResources.sh on GPU nodes.
ADDRS=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/","/g')
echo "{\"name\": \"gpu\", \"addresses\":[\"$ADDRS\"]}"
