# Written by drainsim runbook; safe to replace.
#Requires -Version 5.1
<#
.SYNOPSIS
Runbook: DNS records and a rolling restart

.DESCRIPTION
The steps of tests/runbook/dns.toml as commands, each with what 40 simulated nights (seed 5) saw at that
moment. Run it first with -WhatIf. It stops at the first error ($ErrorActionPreference = 'Stop')
and asks before every step that takes a server down.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The FQDNs of the scenario's FE 1, FE 2, FE 3, FE 4, FE 5, FE 6 (6 in order).
    [Parameter(Mandatory)]
    [ValidateCount(6, 6)]
    [string[]]$FrontEnds,
    # The pool's FQDN (Get-CsPoolFabricState).
    [Parameter(Mandatory)]
    [string]$PoolFqdn,
    # The DNS server, the pool's zone and host name, each Front End's address.
    [Parameter(Mandatory)] [string]$DnsServer,
    [Parameter(Mandatory)] [string]$DnsZone,
    [Parameter(Mandatory)] [string]$PoolHost,
    [Parameter(Mandatory)] [hashtable]$Address
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Confirm-Step([string]$Question) {
    if ($WhatIfPreference) { return }
    $answer = Read-Host "$Question [y/N]"
    if ($answer -ne 'y') { throw "Stopped by the operator: $Question" }
}

# ---- Step 1. 01:00 - Remove the DNS A record of FE 4
Write-Host '== Step 1. 01:00 - Remove the DNS A record of FE 4'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Remove the DNS A record of FE 4')) {
    Remove-DnsServerResourceRecord -ComputerName $DnsServer -ZoneName $DnsZone -RRType A -Name $PoolHost -RecordData $($Address[$FrontEnds[3]]) -Force
}

# ---- Step 2. 01:00 - Drain and stop FE 4 gracefully
Write-Host '== Step 2. 01:00 - Drain and stop FE 4 gracefully'
Write-Host '   Expect: FE 4: every one of the 40 simulated drains finished. Those that finished left no session on the paused services after about 6 min (95 % of them within 14 min).'
# Stop if: A drain far slower than simulated: if Get-CsWindowsService still shows activity on FE 4 after 27 min (twice the 95th percentile), the load is not what the scenario assumed; resume the services (Resume-Service) and reschedule rather than cut the sessions.
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Drain and stop FE 4 gracefully')) {
    Stop-CsWindowsService -ComputerName $FrontEnds[3] -Graceful
}

# ---- Step 3. 01:00 - Wait 30m
Write-Host '== Step 3. 01:00 - Wait 30m'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Wait 30m')) {
    Start-Sleep -Seconds 1800
}

# ---- Step 4. 01:30 - Restart FE 4 (down about 5m)
Write-Host '== Step 4. 01:30 - Restart FE 4 (down about 5m)'
Write-Host '   Expect: Sessions still on FE 4 when it is restarted: 0 on a median night; in 95 % of nights at most 0.'
# Stop if: Before restarting, look at the activity Get-CsWindowsService reports for FE 4: well above 0 sessions, the drain is slower than simulated; wait, or resume and reschedule. Do not restart if Get-CsPoolFabricState shows a routing group with no secondary outside these servers, or if fewer Front Ends than the pool's quorum would be left running.
Confirm-Step 'Step 4: none of its stop conditions holds (see the comments above); go on?'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Restart FE 4 (down about 5m)')) {
    Get-CsPoolFabricState -PoolFqdn $PoolFqdn
    Restart-Computer -ComputerName $FrontEnds[3] -Force -Wait -For PowerShell -Timeout 1800
    Get-CsWindowsService -ComputerName $FrontEnds[3] | Format-Table Name, Status
}

# ---- Step 5. 01:35 - Add back the DNS A record of FE 4
Write-Host '== Step 5. 01:35 - Add back the DNS A record of FE 4'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Add back the DNS A record of FE 4')) {
    Add-DnsServerResourceRecordA -ComputerName $DnsServer -ZoneName $DnsZone -Name $PoolHost -IPv4Address $($Address[$FrontEnds[3]])
}

# ---- Step 6. 01:35 - Rolling restart, one upgrade domain at a time
Write-Host '== Step 6. 01:35 - Rolling restart, one upgrade domain at a time'
Write-Host '   Expect: Get-CsPoolUpgradeReadinessState answers Busy at most 0 times in 95 % of nights (all domains together); every domain was patched in 40 of 40 nights.'
# Stop if: Three Busy answers in a row, or InsufficientActiveFrontEnds: stop; the pool cannot lose another upgrade domain yet. Fail back what is failed over and try later.
Confirm-Step 'Step 6: none of its stop conditions holds (see the comments above); go on?'
if ($PSCmdlet.ShouldProcess($PoolFqdn, 'Rolling restart, one upgrade domain at a time')) {
    # Upgrade domain 1 (Get-CsPoolUpgradeReadinessState runs on a Front End of the pool)
    Invoke-Command -ComputerName $FrontEnds[2] -ScriptBlock { Get-CsPoolUpgradeReadinessState } | Out-Host
    Confirm-Step 'Upgrade domain 1: does the pool say it is ready for this domain? (Busy: wait 10 min and ask again; three Busy answers: stop)'
    Invoke-CsComputerFailOver -ComputerName $FrontEnds[0]
    Restart-Computer -ComputerName $FrontEnds[0] -Force -Wait -For PowerShell -Timeout 1800
    Invoke-CsComputerFailBack -ComputerName $FrontEnds[0]
    Invoke-CsComputerFailOver -ComputerName $FrontEnds[1]
    Restart-Computer -ComputerName $FrontEnds[1] -Force -Wait -For PowerShell -Timeout 1800
    Invoke-CsComputerFailBack -ComputerName $FrontEnds[1]
    # Upgrade domain 2 (Get-CsPoolUpgradeReadinessState runs on a Front End of the pool)
    Invoke-Command -ComputerName $FrontEnds[0] -ScriptBlock { Get-CsPoolUpgradeReadinessState } | Out-Host
    Confirm-Step 'Upgrade domain 2: does the pool say it is ready for this domain? (Busy: wait 10 min and ask again; three Busy answers: stop)'
    Invoke-CsComputerFailOver -ComputerName $FrontEnds[2]
    Restart-Computer -ComputerName $FrontEnds[2] -Force -Wait -For PowerShell -Timeout 1800
    Invoke-CsComputerFailBack -ComputerName $FrontEnds[2]
    Invoke-CsComputerFailOver -ComputerName $FrontEnds[3]
    Restart-Computer -ComputerName $FrontEnds[3] -Force -Wait -For PowerShell -Timeout 1800
    Invoke-CsComputerFailBack -ComputerName $FrontEnds[3]
    # Upgrade domain 3 (Get-CsPoolUpgradeReadinessState runs on a Front End of the pool)
    Invoke-Command -ComputerName $FrontEnds[0] -ScriptBlock { Get-CsPoolUpgradeReadinessState } | Out-Host
    Confirm-Step 'Upgrade domain 3: does the pool say it is ready for this domain? (Busy: wait 10 min and ask again; three Busy answers: stop)'
    Invoke-CsComputerFailOver -ComputerName $FrontEnds[4]
    Restart-Computer -ComputerName $FrontEnds[4] -Force -Wait -For PowerShell -Timeout 1800
    Invoke-CsComputerFailBack -ComputerName $FrontEnds[4]
    Invoke-CsComputerFailOver -ComputerName $FrontEnds[5]
    Restart-Computer -ComputerName $FrontEnds[5] -Force -Wait -For PowerShell -Timeout 1800
    Invoke-CsComputerFailBack -ComputerName $FrontEnds[5]
}

Write-Host 'Runbook finished. Check the pool: Get-CsPoolFabricState -PoolFqdn' $PoolFqdn
